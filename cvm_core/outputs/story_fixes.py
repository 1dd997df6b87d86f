"""What to do about the loss-makers: standard fixes at moderate strengths, each applied to
today's loss-making customers with the Whale page's what-if (the deck's "What to do" slide and
its executive-summary point). Each fix's name and what it assumes read in the current language.
"""

from __future__ import annotations

import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.profitability import drilldown
from cvm_core.analyses.profitability import whatif as whale_whatif
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario
from cvm_core.i18n import _
from cvm_core.outputs.report import Report


def _candidate_fixes(report: Report) -> list[tuple[str, str, WhaleScenario]]:
    """Standard fixes at moderate strengths, each with what it assumes (said on the slide)."""
    limit = report.cost_model.settings.small_order_threshold if report.cost_model else 50.0
    money, pct = formatting.money, formatting.pct
    below = money(limit, report.currency)
    out = [
        (
            _("Minimum order value"),
            _("orders below {limit} bundled; {leave} of them leave").format(
                limit=below, leave=pct(0.10, 0)
            ),
            WhaleScenario(small_order_policy="minimum", order_limit=limit, churn=0.10),
        ),
        (
            _("Small-order surcharge"),
            _("{fee} on orders below {limit}; {leave} of them leave").format(
                fee=money(5, report.currency), limit=below, leave=pct(0.10, 0)
            ),
            WhaleScenario(
                small_order_policy="surcharge", order_limit=limit, surcharge=5.0, churn=0.10
            ),
        ),
        (
            _("Lower service level"),
            _("{cut} less cost per service unit, no sales lost").format(cut=pct(0.20, 0)),
            WhaleScenario(service_cut=0.20),
        ),
        (
            _("Price increase"),
            _("{increase} higher prices; {leave} of them leave").format(
                increase=pct(0.05, 0), leave=pct(0.10, 0)
            ),
            WhaleScenario(price_increase=0.05, churn=0.10),
        ),
        (
            _("Part with the worst quarter"),
            _("the {share} least profitable loss-makers leave with their revenue and costs").format(
                share=pct(0.25, 0)
            ),
            WhaleScenario(part_with=0.25),
        ),
    ]
    migration = _migration(report)
    if migration is not None:
        out.insert(0, migration)
    return out


def _migration(report: Report) -> tuple[str, str, WhaleScenario] | None:
    """Half the loss-makers' orders moved from their costliest priced channel to the cheapest."""
    costs = drilldown.channel_order_costs(report.whale.result)
    priced = costs[costs["cost_per_order"] > 0] if "cost_per_order" in costs else costs.iloc[0:0]
    if len(priced) < 2:
        return None
    dear = priced.loc[priced["cost_per_order"].idxmax()]
    cheap = priced.loc[priced["cost_per_order"].idxmin()]
    return (
        _("Move orders from {dear} to {cheap}").format(
            dear=dear["channel"], cheap=cheap["channel"]
        ),
        _("half the loss-makers' {channel} orders, same value").format(channel=dear["channel"]),
        WhaleScenario(
            migrate_share=0.5, migrate_from=str(dear["channel"]), migrate_to=str(cheap["channel"])
        ),
    )


def fixes_table(report: Report) -> pd.DataFrame:
    """Each candidate fix applied to today's loss-makers: profit change, best first."""
    columns = ["fix", "assumes", "profit_change", "profit_after"]
    if report.whale is None or report.whale.curve.summary.all_profitable:
        return pd.DataFrame(columns=columns)
    rows = []
    for name, assumes, scenario in _candidate_fixes(report):
        outcome = whale_whatif.apply_scenario(
            report.whale.what_if, scenario, currency=report.currency
        )
        rows.append(
            (name, assumes, outcome.profit_after - outcome.profit_before, outcome.profit_after)
        )
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("profit_change", ascending=False, kind="stable").reset_index(drop=True)
