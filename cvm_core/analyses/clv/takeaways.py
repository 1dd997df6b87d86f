"""One sentence per CLV chart: the message its slide carries, used by the page and the deck
(the pyramid's sentence is :func:`cvm_core.analyses.clv.tiers.tier_takeaway`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.clv.constants import MODELS
from cvm_core.analyses.clv.fit import CLVFit
from cvm_core.analyses.clv.holdout import HoldoutCheck

if TYPE_CHECKING:
    from cvm_core.analyses.retention.active import ActiveCustomers


def model_words(fitted: CLVFit) -> str:
    """The model used, and why when Auto chose it."""
    name = MODELS[fitted.settings.model]
    if not fitted.auto:
        return name
    why = (
        "the lowest holdout error per customer of the models compared"
        if fitted.holdout is not None
        else "the highest likelihood of the models compared"
    )
    if fitted.settings.model != fitted.recommended:
        why = f"the next best of the models compared; {MODELS[fitted.recommended]} could not be fitted"
    return f"{name} (chosen by Auto: {why})"


def one_time_buyers_note(fitted: CLVFit) -> str | None:
    """Under BG/NBD, why every one-time buyer looks alive (None under the other models)."""
    if fitted.settings.model != "bgnbd":
        return None
    once = int((fitted.summary["frequency"] == 0).sum())
    if not once:
        return None
    share = once / len(fitted.summary)
    return (
        f"BG/NBD lets a customer drop out only right after a repeat purchase, so it calls all "
        f"{formatting.count(once)} one-time buyers ({formatting.pct(share, 0)} of customers) "
        "certainly alive (P(alive) = 100%) however long they have been silent. Pareto/NBD and "
        "MBG/NBD let customers drop out at any time; Auto picks between them by the holdout."
    )


def baseline_takeaway(check: HoldoutCheck) -> str:
    """Whether the model beats predicting zero and predicting each customer's pace so far."""
    table = check.baselines.set_index("method")
    naive = table.iloc[1:]
    best = naive["mae"].idxmin()
    if check.beats_baselines():
        gain = 1 - check.mae / float(naive["mae"].min())
        return (
            f"The model's error per customer is {formatting.pct(gain, 0)} lower than the best "
            f"naive guess ({best[0].lower()}{best[1:]})."
        )
    return (
        f"The model does not beat the naive guess '{best}' on error per customer "
        f"({formatting.number(check.mae, 3)} against {formatting.number(float(naive['mae'].min()), 3)}): "
        "treat its customer-level predictions with care; the totals may still be useful."
    )


def decile_takeaway(deciles: pd.DataFrame) -> str:
    """How the top tenth by prediction actually bought, against the prediction."""
    if deciles.empty:
        return "No customers to compare."
    top = deciles.iloc[-1]
    return (
        f"The tenth the model rated highest bought {formatting.number(top['actual'], 2)} times "
        f"each in the holdout against {formatting.number(top['predicted'], 2)} predicted."
    )


def holdout_takeaway(check: HoldoutCheck, fitted: CLVFit) -> str:
    return (
        f"In the holdout the model expected {formatting.count(check.predicted)} repeat purchases; "
        f"customers made {formatting.count(check.actual)} ({formatting.pct(check.pct_error, 1)} "
        f"error, {MODELS[fitted.settings.model]})."
    )


def frequency_takeaway(by_frequency: pd.DataFrame) -> str:
    top = by_frequency.iloc[-1]
    return (
        f"Customers with {top['frequency']} repeat purchases bought "
        f"{formatting.number(top['actual'], 1)} times each in the holdout; the model expected "
        f"{formatting.number(top['predicted'], 1)}."
    )


def distribution_takeaway(values: pd.Series, currency: str, horizon: int) -> str:
    return (
        f"Half the customers are worth less than {formatting.money(values.median(), currency)} over "
        f"{formatting.counted(horizon, 'month')}; the average is {formatting.money(values.mean(), currency)}."
    )


def p_alive_takeaway(p_alive: pd.Series, active: ActiveCustomers | None = None) -> str:
    """The active share under the one churn rule (``active``), so this slide says what the CLV
    and Retention headlines say; from P(alive) alone only where no rule applies (a summary file)."""
    if active is not None:
        return (
            f"{active.sentence()} The model's P(alive) falls the longer a customer who used to buy "
            "often stays away."
        )
    gone = float((p_alive < 0.5).mean()) if len(p_alive) else 0.0
    return (
        f"{formatting.pct(gone, 0)} of customers have probably stopped buying (P(alive) below 50%)."
    )


def scenario_takeaway(total: pd.Series, currency: str) -> str:
    if total["treatment_cost"] <= 0 and total["incremental_value"] == 0:
        return "No treatment set: projected CLV equals today's course."
    return (
        f"The treatments add {formatting.money_short(total['incremental_value'], currency)} of CLV "
        f"for {formatting.money_short(total['treatment_cost'], currency)} of cost: net "
        f"{formatting.money_short(total['net_value'], currency)}, ROI {formatting.pct(total['roi'], 0)}."
    )
