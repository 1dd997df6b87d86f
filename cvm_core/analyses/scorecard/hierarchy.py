"""The scorecard as a hierarchy: goals on top, the process measures that drive them, and the
leading indicators that say early whether the strategy works ("what you measure is what you
get": a few chosen measures per level, each with its target and status).

Goals: customer profitability (profit per customer), customer equity (the sum of every
customer's CLV) and growth (net revenue against the period before). Process measures: selection,
acquisition, retention and growth, taken from the scorecard. Leading indicators: pipeline
coverage and forecast accuracy (from the sales pipeline), the value of the at-risk customers
(from retention) and the cross-sell rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.analyses.scorecard.bridge import RevenueBridge
from cvm_core.analyses.scorecard.build import measure_status
from cvm_core.analyses.scorecard.formats import format_value
from cvm_core.analyses.scorecard.inputs import Scorecard, ScorecardSettings
from cvm_core.analyses.scorecard.specs import (
    HIGHER,
    LOWER,
    MONEY,
    NUMBER,
    SHARE,
    SPECS,
    measure_name,
    source_text,
)
from cvm_core.i18n import N_, Message, _

GOAL, PROCESS, LEADING = N_("Goal"), N_("Process measure"), N_("Leading indicator")
LEVELS = (GOAL, PROCESS, LEADING)


@dataclass(frozen=True)
class Node:
    """One measure of the hierarchy: where it sits and what it drives (keys one level up)."""

    key: str
    level: str
    group: str
    name: str
    unit: str = SHARE
    better: str = HIGHER
    drives: tuple[str, ...] = ()
    needs: str = ""
    default: bool = True


_PIPELINE_NEEDS = N_("an opportunities sheet with its history (Sales Pipeline page)")
NODES: tuple[Node, ...] = (
    Node("profit_per_customer", GOAL, N_("Customer profitability"), N_("Profit per customer"), MONEY),
    Node("customer_equity", GOAL, N_("Customer equity"), N_("Customer equity (sum of CLV)"), MONEY,
         needs=N_("CLV predictions (Customer Lifetime Value page)")),
    Node("revenue_growth", GOAL, N_("Growth"), N_("Revenue growth (on previous period)"), SHARE),
    Node("unprofitable_share", PROCESS, N_("Selection"), SPECS["unprofitable_share"].name, SHARE,
         LOWER, ("profit_per_customer",)),
    Node("new_customers", PROCESS, N_("Acquisition"), SPECS["new_customers"].name, "count",
         drives=("revenue_growth", "customer_equity")),
    Node("new_customer_clv", PROCESS, N_("Acquisition"), SPECS["new_customer_clv"].name, MONEY,
         drives=("customer_equity",)),
    Node("active_share", PROCESS, N_("Retention"), SPECS["active_share"].name, SHARE,
         drives=("customer_equity", "profit_per_customer")),
    Node("annual_retention", PROCESS, N_("Retention"), SPECS["annual_retention"].name, SHARE,
         drives=("customer_equity",), default=False),
    Node("products_per_customer", PROCESS, N_("Growth"), SPECS["products_per_customer"].name, NUMBER,
         drives=("revenue_growth",)),
    Node("share_of_wallet", PROCESS, N_("Growth"), SPECS["share_of_wallet"].name, SHARE,
         drives=("revenue_growth",), default=False),
    Node("pipeline_coverage", LEADING, N_("Acquisition"), N_("Pipeline coverage (× target)"), NUMBER,
         drives=("new_customers",), needs=_PIPELINE_NEEDS),
    Node("forecast_accuracy", LEADING, N_("Acquisition"), N_("Forecast accuracy"), SHARE,
         drives=("new_customers",), needs=_PIPELINE_NEEDS),
    Node("at_risk_value", LEADING, N_("Retention"), N_("Value of at-risk customers"), MONEY, LOWER,
         ("active_share",), needs=N_("the Retention page's at-risk list")),
    Node("cross_sell_rate", LEADING, N_("Growth"), SPECS["cross_sell_rate"].name, SHARE,
         drives=("products_per_customer",)),
)  # fmt: skip
"""Every measure the chain offers, top down; those marked ``default`` are shown unless a client
picks others (see :func:`build_hierarchy`)."""
DEFAULT_PICKED = tuple(n.key for n in NODES if n.default)
CHAIN_KEYS = frozenset(n.key for n in NODES) - frozenset(SPECS)
"""The chain's own measures (not in the scorecard table): their targets are stored with the
scorecard's."""

HIERARCHY_COLUMNS = (
    "level", "group", "key", "measure", "unit", "better", "value", "target", "status", "source",
    "drives", "contribution",
)  # fmt: skip
"""``contribution``: the process area's part of the change in net revenue against the period
before (:mod:`cvm_core.analyses.scorecard.bridge`), on the area's first measure; the whole change
on the revenue-growth goal."""


@dataclass(frozen=True)
class Indicators:
    """Values the scorecard table does not hold, and where each came from (key -> text)."""

    values: Mapping[str, float | None]
    sources: Mapping[str, str]
    contributions: Mapping[str, float] = field(default_factory=dict)
    """Process area (and "revenue_growth": the whole change) -> its part of the revenue change."""


def indicators(
    card: Scorecard,
    clv: pd.DataFrame | None = None,
    at_risk: pd.DataFrame | None = None,
    pipeline=None,
    sources: Mapping[str, str] | None = None,
) -> Indicators:
    """Customer equity, revenue growth, at-risk value and the pipeline's two indicators.

    Parameters
    ----------
    card : Scorecard
        For the period and the previous one (growth compares their net revenue: its bridge).
    clv : DataFrame, optional
        Per-customer CLV ("clv" column): equity is its sum.
    at_risk : DataFrame, optional
        The retention at-risk list ("value" column).
    pipeline : PipelineResult, optional
        Coverage (open pipeline / target) and the team's forecast accuracy.
    sources : mapping, optional
        Where clv, at_risk and pipeline came from ("clv": "CLV page", ...).
    """
    told = dict(sources or {})
    bridge = card.bridge
    values: dict[str, float | None] = {"revenue_growth": _growth(bridge)}
    out_sources = {"revenue_growth": Message(
        N_("transactions, {period} against {previous}"), period=card.period, previous=str(card.previous_period),
    )}  # fmt: skip
    if clv is not None and "clv" in clv:
        values["customer_equity"] = float(clv["clv"].sum())
        out_sources["customer_equity"] = source_text(told.get("clv", N_("CLV predictions")))
    if at_risk is not None and "value" in at_risk:
        values["at_risk_value"] = float(at_risk["value"].sum())
        out_sources["at_risk_value"] = source_text(
            told.get("at_risk", N_("Retention at-risk list"))
        )
    if pipeline is not None:
        values["pipeline_coverage"] = pipeline.coverage.ratio
        values["forecast_accuracy"] = pipeline.team.get("accuracy")
        where = source_text(told.get("pipeline", N_("Sales Pipeline")))
        out_sources["pipeline_coverage"] = Message(
            N_("{where}, target {target}"), where=where,
            target=source_text(pipeline.coverage.target_source),
        )  # fmt: skip
        out_sources["forecast_accuracy"] = Message(
            N_("{where}, month-end forecasts against won"), where=where
        )
    contributions: dict[str, float] = {}
    if bridge is not None:
        contributions = {**bridge.contributions, "revenue_growth": bridge.now - bridge.before}
    return Indicators(values, out_sources, contributions)


def _growth(bridge: RevenueBridge | None) -> float | None:
    """Net revenue in the period / in the period before - 1 (None without both)."""
    if bridge is None or bridge.before <= 0:
        return None
    return bridge.now / bridge.before - 1


def build_hierarchy(
    card: Scorecard,
    settings: ScorecardSettings,
    extra: Indicators,
    picked: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """The chain as a table, top down: columns :data:`HIERARCHY_COLUMNS`.

    Values and targets of scorecard measures are the scorecard's; the others come from ``extra``
    and from ``settings.targets`` under their keys. ``picked``: the measure keys to keep (None:
    :data:`DEFAULT_PICKED`); links to measures not kept are dropped.
    """
    table = card.table.set_index("key")
    targets = dict(settings.targets)
    chosen = [n for n in NODES if n.key in (DEFAULT_PICKED if picked is None else picked)]
    keys = {n.key for n in chosen}
    rows = []
    credited: set[str] = set()  # each area's contribution once, on its first measure
    for node in chosen:
        contribution = extra.contributions.get(node.key, np.nan)
        if node.level == PROCESS and node.group not in credited:
            contribution = extra.contributions.get(node.group, np.nan)
            credited.add(node.group)
        if node.key in table.index:
            row = table.loc[node.key]
            value, target, source = row["value"], row["target"], row["source"] or ""
            needs = row["needs"]
        else:
            value = extra.values.get(node.key)
            target = targets.get(node.key, np.nan)
            source, needs = extra.sources.get(node.key, ""), node.needs
        value = np.nan if value is None else float(value)
        rows.append(
            {
                "level": node.level, "group": node.group, "key": node.key, "measure": node.name,
                "unit": node.unit, "better": node.better, "value": value,
                "target": float(target) if target is not None else np.nan,
                "status": measure_status(value, target, node.better, settings.watch_band),
                "source": source if np.isfinite(value) else f"Needs {needs}" if needs else "",
                "drives": ", ".join(d for d in node.drives if d in keys),
                "contribution": contribution,
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(HIERARCHY_COLUMNS))


def hierarchy_table(chain: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The chain as text for a slide's native table and the page: Level, Area, Measure, Value,
    Target, Status, Drives (by measure name), and the revenue change each area explains."""
    names = {k: measure_name(k, m) for k, m in zip(chain["key"], chain["measure"], strict=True)}
    return pd.DataFrame(
        {
            "Level": [_(level) for level in chain["level"]],
            "Area": [_(group) for group in chain["group"]],
            "Measure": [names[k] for k in chain["key"]],
            "Value": [format_value(v, u, currency) for v, u in zip(chain["value"], chain["unit"], strict=True)],
            "Target": [format_value(v, u, currency) for v, u in zip(chain["target"], chain["unit"], strict=True)],
            "Status": [_(status) for status in chain["status"]],
            "Drives": [", ".join(names[k] for k in d.split(", ") if k) for d in chain["drives"]],
            CONTRIBUTION: [_signed(v, currency) for v in chain["contribution"]],
        }
    )  # fmt: skip


CONTRIBUTION = N_("Revenue change explained")
HEADERS = (N_("Level"), N_("Area"), N_("Drives"))
"""The chain table's other headers, for the catalogs (translated in the header row)."""


def bridge_sentence(chain: pd.DataFrame, currency: str) -> str:
    """'Net revenue +€20k on the period before: acquisition +€30k, retention -€25k, growth
    +€15k.' from the chain's contributions ('' when the chain has none)."""
    rows = chain.set_index("key")
    if "revenue_growth" not in rows.index or not np.isfinite(
        rows.at["revenue_growth", "contribution"]
    ):
        return ""
    process = chain[(chain["level"] == PROCESS) & np.isfinite(chain["contribution"])]
    parts = ", ".join(
        f"{_area_in_sentence(group)} {_signed(value, currency)}"
        for group, value in zip(process["group"], process["contribution"], strict=True)
    )
    total = _signed(rows.at["revenue_growth", "contribution"], currency)
    if parts:
        return _("Net revenue {total} on the period before: {parts}.").format(
            total=total, parts=parts
        )
    return _("Net revenue {total} on the period before.").format(total=total)


def _area_in_sentence(group: str) -> str:
    """'acquisition' mid-sentence in English; German nouns keep their capital."""
    name = _(group)
    return name.lower() if name == group else name


def _signed(value: float, currency: str) -> str:
    if not np.isfinite(value):
        return ""
    return ("+" if value > 0 else "") + format_value(value, MONEY, currency)
